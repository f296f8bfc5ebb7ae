// `berth completion bash|zsh`: a completion script for the shell. Verbs come from the command
// table (cli/berth.ts), so a new verb completes without touching this file; host names complete
// from `berth get hosts -o json` of the current --server / BERTH_SERVER.
import { parseArgs } from 'node:util';
import { UsageError } from '../usage.js';

export const HELP = `Usage: berth completion bash|zsh

Prints a shell completion script for berth: commands, options, resource kinds, and
NAMESPACE/HOST names from the controller at BERTH_SERVER.

  bash:  source <(berth completion bash)          (or save it under /etc/bash_completion.d/)
  zsh:   source <(berth completion zsh)           (or save it as _berth in a directory on $fpath)

Options:
  -h, --help           show this help`;

function bash(verbs: readonly string[]): string {
  return `# bash completion for berth (berth completion bash)
_berth_hosts() {
  berth get hosts -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{for(const i of JSON.parse(s).items)console.log(i.metadata.namespace+"/"+i.metadata.name)}catch{}})'
}
_berth() {
  local cur prev verb
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  verb="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${verbs.join(' ')} --help --version" -- "$cur") ); return
  fi
  case "$prev" in
    -o|--output) COMPREPLY=( $(compgen -W "wide json yaml" -- "$cur") ); return ;;
    --server|--kubeconfig|--tail|--since|-n|--namespace) return ;;
  esac
  case "$verb" in
    get) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=( $(compgen -W "hosts tokens" -- "$cur") )
         [[ "$cur" == -* ]] && COMPREPLY=( $(compgen -W "-n -A -o --server --kubeconfig --help" -- "$cur") ) ;;
    describe) if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=( $(compgen -W "host" -- "$cur") );
              else COMPREPLY=( $(compgen -W "$(_berth_hosts)" -- "$cur") ); fi ;;
    logs) if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "-f --follow --tail --since --timestamps --server --kubeconfig --help" -- "$cur") );
          elif [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=( $(compgen -W "$(_berth_hosts)" -- "$cur") ); fi ;;
    plan|validate|controller) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
  esac
}
complete -o default -F _berth berth
`;
}

function zsh(verbs: readonly string[]): string {
  return `#compdef berth
# zsh completion for berth (berth completion zsh)
_berth_hosts() {
  local -a hosts
  hosts=(\${(f)"$(berth get hosts -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{for(const i of JSON.parse(s).items)console.log(i.metadata.namespace+"/"+i.metadata.name)}catch{}})')"})
  compadd -a hosts
}
_berth() {
  local -a verbs
  verbs=(${verbs.join(' ')})
  if (( CURRENT == 2 )); then compadd -a verbs; compadd -- --help --version; return; fi
  case "\${words[CURRENT-1]}" in
    -o|--output) compadd wide json yaml; return ;;
    --server|--tail|--since|-n|--namespace) return ;;
    --kubeconfig) _files; return ;;
  esac
  case "\${words[2]}" in
    get) if (( CURRENT == 3 )); then compadd hosts tokens; else compadd -- -n -A -o --server --kubeconfig --help; fi ;;
    describe) if (( CURRENT == 3 )); then compadd host; else _berth_hosts; fi ;;
    logs) if [[ "\${words[CURRENT]}" == -* ]]; then compadd -- -f --follow --tail --since --timestamps --server --kubeconfig --help;
          elif (( CURRENT == 3 )); then _berth_hosts; fi ;;
    plan|validate|controller) _files ;;
    completion) compadd bash zsh ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _berth "$@"; else compdef _berth berth; fi
`;
}

export async function run(argv: string[], out: (text: string) => void = (t) => { process.stdout.write(t); }): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out(`${HELP}\n`); return 0; }
  const [shell, extra] = positionals;
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  const { VERB_NAMES } = await import('../berth.js');
  if (shell === 'bash') out(bash(VERB_NAMES));
  else if (shell === 'zsh') out(zsh(VERB_NAMES));
  else throw new UsageError(shell ? `no completion for "${shell}": bash or zsh` : 'name the shell: bash or zsh');
  return 0;
}
