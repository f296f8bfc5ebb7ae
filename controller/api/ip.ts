// IP addresses and CIDR subnets as CEL's isIP()/isCIDR() read them (the Kubernetes IP library):
// no IPv6 zones and no IPv4-mapped IPv6 addresses. Pure; twins of the CRD's rules use them.
import { isIP } from 'node:net';

export function isIpAddress(text: string): boolean {
  if (text.includes('%')) return false;
  const family = isIP(text);
  if (family === 4) return !/(^|\.)0[0-9]/.test(text);   // CEL refuses leading zeros ("010.0.0.1")
  return family === 6 && !/^::ffff:[0-9.]+$/i.test(text) && !/^::ffff:[0-9a-f]+:[0-9a-f]+$/i.test(text);
}

export function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const ip = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits) || !isIpAddress(ip)) return false;
  return Number(bits) <= (isIP(ip) === 4 ? 32 : 128);
}
