import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionResult, Field, Notice, useAction } from '../ui';

export function SignIn() {
  const [mode, setMode] = useState<'sign-in' | 'register'>('sign-in');
  const [registration, setRegistration] = useState<'open' | 'closed'>('closed');
  const [login, setLogin] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  useEffect(() => {
    api.get<{ registration: 'open' | 'closed' }>('/api/auth/options').then(
      (options) => setRegistration(options.registration),
      () => setRegistration('closed'),
    );
  }, []);
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      if (mode === 'register') {
        await api.register(login, email, password);
        setMode('sign-in');
        return 'Your account is made: we mailed you a code to confirm your address. Sign in now.';
      }
      await api.login(login, password);
    });
  };
  return (
    <main class="sign-in" id="main">
      <h1>Herald</h1>
      <form onSubmit={submit} class="card" aria-label={mode === 'register' ? 'Register' : 'Sign in'}>
        <h2>{mode === 'register' ? 'Create an account' : 'Sign in'}</h2>
        <Field label={mode === 'register' ? 'Username' : 'Username or email'}>
          <input name="login" autoComplete="username" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} autoFocus />
        </Field>
        {mode === 'register' && (
          <Field label="Email">
            <input name="email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </Field>
        )}
        <Field label="Password">
          <input
            name="password"
            type="password"
            autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ActionResult action={action} />
        <button type="submit" class="primary" disabled={action.busy}>
          {mode === 'register' ? 'Create the account' : 'Sign in'}
        </button>
        {registration === 'open' && (
          <p>
            {mode === 'register' ? 'Have an account? ' : 'New here? '}
            <button type="button" class="link" onClick={() => (action.clear(), setMode(mode === 'register' ? 'sign-in' : 'register'))}>
              {mode === 'register' ? 'Sign in' : 'Create an account'}
            </button>
          </p>
        )}
        {registration === 'closed' && mode === 'sign-in' && <Notice tone="info">Accounts are made by an admin here.</Notice>}
      </form>
    </main>
  );
}
