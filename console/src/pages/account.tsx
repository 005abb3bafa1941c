import { api } from '../api';
import { formatWhen } from '../data';
import { LoadState, useLoad } from '../ui';
import { Identities } from './users';

interface Profile {
  readonly username: string;
  readonly email: string;
  readonly role: string;
  readonly verified: boolean;
  readonly created_at: string;
  readonly messages_sent_30d: number;
}

export function Account() {
  const loaded = useLoad(() => api.get<Profile>('/api/me'), 'me');
  return (
    <section>
      <h1>Your account</h1>
      <LoadState loaded={loaded}>
        {(me) => (
          <dl class="facts">
            <dt>Username</dt>
            <dd>{me.username}</dd>
            <dt>Email</dt>
            <dd>{me.email}</dd>
            <dt>Role</dt>
            <dd>{me.role}</dd>
            <dt>Verified</dt>
            <dd>{me.verified ? 'yes' : 'no: use the code we mailed you'}</dd>
            <dt>Since</dt>
            <dd>{formatWhen(me.created_at)}</dd>
            <dt>Sent in 30 days</dt>
            <dd>{me.messages_sent_30d}</dd>
          </dl>
        )}
      </LoadState>
      <h2>Sender identities</h2>
      <Identities base="/api/me/identities" />
    </section>
  );
}
