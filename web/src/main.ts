// The status page's entry point (web/index.html loads it). Vite bundles it into dist/web/assets.
import './theme.css';
import './components/app.js';
