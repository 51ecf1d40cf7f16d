// The dashboard's entry: the shell (header with the policy breadcrumb, live status and the token
// control), client-side routing, and the live event stream. Pages live in pages/, one per route.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { TokenBar } from './components/TokenBar';
import { onStatus, startLive, type LiveStatus } from './events';
import { BlastRadiusPage } from './pages/BlastRadius';
import { EndpointPage } from './pages/Endpoint';
import { PoliciesPage } from './pages/Policies';
import { PolicyPage } from './pages/Policy';
import { ReportsPage } from './pages/Reports';
import { AlertsPage } from './pages/Alerts';
import { NodesPage } from './pages/Nodes';
import { match, navigate, paths, useRoute, type Route } from './router';
import './styles.css';

function LiveBadge() {
  const [s, setS] = useState<LiveStatus>('connecting');
  useEffect(() => onStatus(setS), []);
  const label = {
    connecting: 'connecting…',
    live: 'live',
    offline: 'offline, retrying',
    unauthorized: 'no live updates (token)',
  }[s];
  return (
    <span class={`live live-${s}`} data-testid="live-status" title="Server-sent events from /api/v1/events">
      {label}
    </span>
  );
}

function Tabs({ route }: { route: Route }) {
  if (!('policy' in route)) return null;
  const p = route.policy;
  const tab = (href: string, label: string, on: boolean) => (
    <a href={href} class={on ? 'tab on' : 'tab'}>
      {label}
    </a>
  );
  return (
    <nav class="tabs">
      <span class="crumb">
        <a href="/">Policies</a> / <b>{p}</b>
      </span>
      {tab(paths.policy(p), 'Overview', route.page === 'policy')}
      {tab(paths.reports(p), 'Diff reports', route.page === 'reports' || route.page === 'endpoint')}
      {tab(paths.blast(p), 'Blast radius', route.page === 'blast')}
    </nav>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'policies':
      return <PoliciesPage />;
    case 'policy':
      return <PolicyPage name={route.policy} />;
    case 'reports':
      return <ReportsPage policy={route.policy} />;
    case 'endpoint':
      return <EndpointPage policy={route.policy} endpoint={route.endpoint} />;
    case 'blast':
      return <BlastRadiusPage policy={route.policy} />;
    case 'alerts':
      return <AlertsPage />;
    case 'nodes':
      return <NodesPage />;
    default:
      return (
        <p class="empty">
          Nothing here. <a href="/">Back to the policies.</a>
        </p>
      );
  }
}

function App() {
  const route = match(useRoute());
  return (
    <>
      <header class="top">
        <a href="/" class="brand">
          Shadowguard
        </a>
        <LiveBadge />
        <a href="/alerts" data-testid="nav-alerts">
          Alerts
        </a>
        <a href="/nodes" data-testid="nav-nodes">
          Filters
        </a>
        <span class="spacer" />
        <TokenBar />
      </header>
      <Tabs route={route} />
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

// Same-origin links navigate in-app; modified clicks (new tab) keep the browser's behaviour.
document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const href = a.getAttribute('href');
  if (!href?.startsWith('/') || href.startsWith('/api') || href.startsWith('/docs')) return;
  e.preventDefault();
  navigate(href);
});

startLive();
render(<App />, document.getElementById('app')!);
