export { packageRoot as repoRoot } from '../../controller/package-root.js';
