/**
 * @unihetero/masking: training mask-rate samplers, token orders, training masks, MAR inference
 * reveal schedules, CFG schedules and regeneration (inference-time scaling) policies.
 * Outputs are plain typed arrays (`Int32Array` orders, `Uint8Array` masks, 1 = masked).
 */
export * from './normal';
export * from './samplers';
export * from './orders';
export * from './masks';
export * from './schedules';
export * from './regeneration';
export * from './tensor';
