export { createGateway } from './gateway.js';
export { LIBRARY } from './version.js';
export { FORBIDDEN_PARAMS, stripParams } from './url.js';
