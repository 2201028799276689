import { isIPv6 } from 'node:net';

/**
 * The network a client address stands for when counting what one client may use: an IPv4
 * address itself, an IPv6 address's /64 (one subscriber's usual allocation: a client that owns a
 * /64 can send from 2^64 addresses, so per-address shares would be no bound at all).
 */
export function clientNetworkOf(ip: string): string {
  const address = ip.startsWith('::ffff:') && !ip.slice(7).includes(':') ? ip.slice(7) : ip;
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.toLowerCase().split('%')[0].split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
