import { VIA_PRINTK } from './types.js';

/** How many recent unmatched records are remembered to pair journald's copy with the kernel's. */
const PAIRING_WINDOW = 256;

/**
 * Without auditd the kernel prints each record and journald also receives it over netlink, so
 * journal output holds two copies; they are paired off by content, oldest first.
 */
export class TransportPairing {
  private readonly pending = [new Map<string, number>(), new Map<string, number>()];
  private readonly order: { side: number; key: string }[] = [];

  /** True when the same call was already counted from the other transport. */
  isSecondCopy(via: number, key: string): boolean {
    const side = via === VIA_PRINTK ? 0 : 1;
    const other = this.pending[1 - side] as Map<string, number>;
    const waiting = other.get(key);
    if (waiting !== undefined) {
      if (waiting === 1) other.delete(key);
      else other.set(key, waiting - 1);
      return true;
    }
    const own = this.pending[side] as Map<string, number>;
    own.set(key, (own.get(key) ?? 0) + 1);
    this.order.push({ side, key });
    const oldest = this.order.length > PAIRING_WINDOW ? this.order.shift() : undefined;
    if (oldest) {
      const map = this.pending[oldest.side] as Map<string, number>;
      const left = map.get(oldest.key) ?? 0;
      if (left <= 1) map.delete(oldest.key);
      else map.set(oldest.key, left - 1);
    }
    return false;
  }
}
