export const HELP = 'Usage: berth describe host NS/NAME';
export async function run(_argv: string[]): Promise<number> { console.log(HELP); return 0; }
