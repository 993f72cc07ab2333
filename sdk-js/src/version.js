/** Library name and version reported in `context.library` (kept equal to package.json by a test). */
export const LIBRARY = { name: 'consent-gateway-js', version: '0.1.0' };
