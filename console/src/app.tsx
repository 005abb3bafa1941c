import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { parseRoute, type Route } from './data';
import { SignIn } from './pages/sign-in';
import { Overview } from './pages/overview';
import { MessageList, MessagePage } from './pages/messages';
import { Send } from './pages/send';
import { TemplateList, TemplatePage } from './pages/templates';
import { Contacts, Suppressions } from './pages/contacts';
import { Validation } from './pages/validation';
import { Webhooks } from './pages/webhooks';
import { ApiKeys, Users } from './pages/users';
import { Account } from './pages/account';
import { Notice } from './ui';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

const NAV: readonly { hash: string; label: string; pages: readonly Route['page'][]; admin?: boolean }[] = [
  { hash: '#/', label: 'Overview', pages: ['overview'] },
  { hash: '#/messages', label: 'Messages', pages: ['messages', 'message'] },
  { hash: '#/send', label: 'Send', pages: ['send'] },
  { hash: '#/templates', label: 'Templates', pages: ['templates', 'template'] },
  { hash: '#/contacts', label: 'Contacts', pages: ['contacts'] },
  { hash: '#/suppressions', label: 'Suppressions', pages: ['suppressions'] },
  { hash: '#/validation', label: 'Validation', pages: ['validation'] },
  { hash: '#/webhooks', label: 'Webhooks', pages: ['webhooks'] },
  { hash: '#/users', label: 'Users', pages: ['users'], admin: true },
  { hash: '#/keys', label: 'API keys', pages: ['keys'], admin: true },
];

export function App() {
  const route = useRoute();
  const [, setVersion] = useState(0);
  const [resumed, setResumed] = useState(false);
  useEffect(() => api.onChange(() => setVersion((v) => v + 1)), []);
  useEffect(() => {
    void api.resume().finally(() => setResumed(true));
  }, []);
  useEffect(() => {
    const main = document.getElementById('main');
    main?.focus({ preventScroll: true });
  }, [route]);
  if (!resumed) return <p class="boot">Loading the Herald console…</p>;
  if (api.user === null) return <SignIn />;
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to the page
      </a>
      <header class="top">
        <span class="brand">Herald</span>
        <nav aria-label="Pages">
          <ul>
            {NAV.filter((item) => item.admin !== true || api.isAdmin).map((item) => (
              <li key={item.hash}>
                <a href={item.hash} aria-current={item.pages.includes(route.page) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
            {api.isAdmin && (
              <li>
                <a href="/admin/queues" target="_blank" rel="noopener">
                  Queues
                </a>
              </li>
            )}
          </ul>
        </nav>
        <span class="who">
          <a href="#/account">{api.user.username}</a> ({api.user.role}){' '}
          <button type="button" class="link" onClick={() => void api.logout().finally(() => (location.hash = '#/'))}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <Overview />;
    case 'messages':
      return <MessageList route={route} />;
    case 'message':
      return <MessagePage kind={route.kind} id={route.id} />;
    case 'send':
      return <Send />;
    case 'templates':
      return <TemplateList />;
    case 'template':
      return <TemplatePage name={route.name} />;
    case 'contacts':
      return <Contacts />;
    case 'suppressions':
      return <Suppressions />;
    case 'validation':
      return <Validation />;
    case 'webhooks':
      return <Webhooks />;
    case 'users':
      return api.isAdmin ? <Users /> : <Notice>Only admins manage users.</Notice>;
    case 'keys':
      return api.isAdmin ? <ApiKeys /> : <Notice>Only admins manage API keys.</Notice>;
    case 'account':
      return <Account />;
    case 'not-found':
      return <Notice>There is no page at {route.path}; pick one from the menu.</Notice>;
  }
}
