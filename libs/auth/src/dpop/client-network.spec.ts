import { clientNetworkOf } from './client-network.js';

describe('clientNetworkOf', () => {
  it('keeps an IPv4 address, also when mapped into IPv6', () => {
    expect(clientNetworkOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetworkOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /64 as one network, however it is written', () => {
    const network = '2001:db8:0:1::/64';
    for (const address of ['2001:db8:0:1::1', '2001:db8:0:1:ffff:ffff:ffff:ffff', '2001:0DB8:0000:0001:0:0:0:2'])
      expect(clientNetworkOf(address)).toBe(network);
    expect(clientNetworkOf('2001:db8::1:0:0:3')).toBe('2001:db8:0:0::/64');
    expect(clientNetworkOf('2001:db8:0:2::1')).not.toBe(network);
    expect(clientNetworkOf('::1')).toBe('0:0:0:0::/64');
  });

  it('leaves anything that is no address as it is (no proxy-supplied text becomes a shared key)', () => {
    expect(clientNetworkOf('unknown')).toBe('unknown');
  });
});
