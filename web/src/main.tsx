import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { initTheme } from './lib/theme';
import { mlflowLinkTarget } from './lib/mlflowLinks';
import './styles.css';

initTheme();
// A link the MLflow client printed (`…/#/experiments/1/runs/<id>`) opens the page it names.
const mlflowTarget = mlflowLinkTarget(window.location.pathname, window.location.hash);
if (mlflowTarget) window.history.replaceState(null, '', mlflowTarget);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
