import dns2 from 'dns2';

const { Packet } = dns2;

/** How the test server answers for one name. Names it is not told about are NXDOMAIN. */
export interface ZoneEntry {
  readonly mx?: readonly { readonly exchange: string; readonly priority: number }[];
  readonly a?: readonly string[];
  readonly aaaa?: readonly string[];
  /** Answer every question about the name with this response code. */
  readonly rcode?: 'servfail' | 'nxdomain';
  /** Never answer: the resolver times out. */
  readonly silent?: boolean;
  /** Answer after this many milliseconds (a slow authoritative server). */
  readonly delayMs?: number;
}

export interface TestDnsServer {
  /** `127.0.0.1:port`, as DNS_SERVERS takes it. */
  readonly address: string;
  /** Questions received about `name` (lower case), of one type (MX, A, AAAA) or all. */
  queries(name: string, type?: 'MX' | 'A' | 'AAAA'): number;
  /** Every question received so far. */
  totalQueries(): number;
  close(): Promise<void>;
}

// RFC 1035 4.1.1 response codes (dns2's types do not declare its RCODE table).
const RCODE = { servfail: 2, nxdomain: 3 } as const;

const TYPE_NAMES: Record<number, 'MX' | 'A' | 'AAAA'> = { [Packet.TYPE.MX]: 'MX', [Packet.TYPE.A]: 'A', [Packet.TYPE.AAAA]: 'AAAA' };

/** A real UDP DNS server on 127.0.0.1 answering from `zone`, counting the questions it gets. */
export async function startDnsServer(zone: (name: string) => ZoneEntry | undefined): Promise<TestDnsServer> {
  const counts = new Map<string, number>();
  let total = 0;
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const [question] = request.questions;
      if (question === undefined) return;
      const name = question.name.toLowerCase();
      const type = TYPE_NAMES[question.type] ?? 'OTHER';
      counts.set(`${name} ${type}`, (counts.get(`${name} ${type}`) ?? 0) + 1);
      total += 1;
      const entry = zone(name);
      if (entry?.silent === true) return;
      const response = Packet.createResponseFromRequest(request);
      if (entry === undefined || entry.rcode === 'nxdomain') {
        response.header.rcode = RCODE.nxdomain;
      } else if (entry.rcode === 'servfail') {
        response.header.rcode = RCODE.servfail;
      } else {
        // dns2 encodes plain records; its types ask for its Resource class.
        const answers = response.answers as unknown as object[];
        const base = { name: question.name, class: Packet.CLASS.IN, ttl: 300 };
        if (type === 'MX') for (const mx of entry.mx ?? []) answers.push({ ...base, type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority });
        if (type === 'A') for (const address of entry.a ?? []) answers.push({ ...base, type: Packet.TYPE.A, address });
        if (type === 'AAAA') for (const address of entry.aaaa ?? []) answers.push({ ...base, type: Packet.TYPE.AAAA, address });
      }
      if (entry?.delayMs !== undefined) setTimeout(() => void send(response), entry.delayMs);
      else void send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = addresses.udp?.port;
  if (port === undefined) throw new Error('the test DNS server did not listen');
  return {
    address: `127.0.0.1:${port}`,
    queries: (name, type) => {
      const key = name.toLowerCase();
      if (type !== undefined) return counts.get(`${key} ${type}`) ?? 0;
      return ['MX', 'A', 'AAAA'].reduce((sum, t) => sum + (counts.get(`${key} ${t}`) ?? 0), 0);
    },
    totalQueries: () => total,
    close: () => server.close(),
  };
}

/** The zone most validation tests use, under `.example`: one name per kind of answer. */
export function validationZone(name: string): ZoneEntry | undefined {
  const hasMail = ['mx.example', 'gmail.com', 'gmail.con', 'mailinator.com', 'throwaway.example'].includes(name);
  if (hasMail || name.endsWith('.bulk.example') || name.endsWith('.mailinator.com') || name.endsWith('.throwaway.example')) return { mx: [{ exchange: 'mail.mx.example', priority: 10 }] };
  if (name === 'nullmx.example') return { mx: [{ exchange: '', priority: 0 }] };
  if (name === 'a-only.example') return { a: ['192.0.2.10'] };
  if (name === 'empty.example') return {};
  if (name === 'servfail.example') return { rcode: 'servfail' };
  if (name === 'silent.example') return { silent: true };
  if (name.endsWith('.slow.example')) return { mx: [{ exchange: 'mail.mx.example', priority: 10 }], delayMs: 20 };
  if (name === 'xn--bcher-kva.example') return { mx: [{ exchange: 'mail.mx.example', priority: 5 }] };
  return undefined;
}
