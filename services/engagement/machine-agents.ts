import { isbot } from 'isbot';

/**
 * Agents that fetch mail content for people rather than being them: Apple Mail Privacy
 * Protection (its agent is exactly `Mozilla/5.0`), the mail providers' image proxies, and link
 * scanners of mail security gateways, beside everything `isbot` knows.
 */
const MACHINE_MARKERS = /googleimageproxy|ggpht\.com|yahoomailproxy|proofpoint|mimecast|barracuda|symantec|messagelabs|trendmicro|forcepoint|fireeye|ironport/i;

/** Whether a user agent belongs to a machine: its opens and clicks are kept but not counted as a person's. */
export function isMachineAgent(userAgent: string): boolean {
  const agent = userAgent.trim();
  if (agent === '' || agent === 'Mozilla/5.0') return true;
  return MACHINE_MARKERS.test(agent) || isbot(agent);
}
