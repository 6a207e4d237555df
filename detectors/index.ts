export { psi, DEFAULT_PSI_EPSILON } from './psi.js';
export { binIndex, toProportions } from './bins.js';
export { quantileSorted, quantileCuts } from './quantile.js';
