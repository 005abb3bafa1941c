// A minimal Herald webhook receiver (README "Webhooks"): verifies each request with the
// standardwebhooks package (`npm install standardwebhooks`) and prints the event.
//   WEBHOOK_SECRET=whsec_… PORT=9000 node docs/webhook-receiver.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.WEBHOOK_SECRET);
const port = Number(process.env.PORT ?? 9000);

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      // Checks webhook-signature over "webhook-id.webhook-timestamp.body" and a timestamp within 5 minutes.
      const event = webhook.verify(body, req.headers);
      console.log(`verified ${event.type} ${req.headers['webhook-id']} ${JSON.stringify(event.data)}`);
      res.writeHead(204).end();
    } catch (error) {
      console.log(`refused: ${error.message}`);
      res.writeHead(400).end();
    }
  });
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
