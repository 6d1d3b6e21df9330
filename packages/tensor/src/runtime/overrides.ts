/**
 * The one place that decides "fused if offered, else composed": composite ops ask `offers(b, name)`
 * and run the backend's override through `dispatch.override`, or compose the same maths from the
 * required primitives.
 */
import type { Backend, OverrideName } from '../backend.js';

/** Whether backend `b` registers override `name`. */
export function offers(b: Backend, name: OverrideName): boolean {
  return typeof b.overrides?.[name] === 'function';
}

/** Whether `b` registers every one of `names` (ops whose forward and backward come as a pair). */
export function offersAll(b: Backend, ...names: OverrideName[]): boolean {
  return names.every((n) => offers(b, n));
}
