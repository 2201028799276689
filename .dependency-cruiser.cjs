// `npm run lint` runs this (depcruise): the import rules of ARCHITECTURE.md that the compiler
// cannot see. No import cycle between files, and the libs depend one way only,
//   apps → accounts → ssf → revocation-feed → auth → keys → mail → security-events → persistence → platform
// (each may import any lib to its right), so no cycle between libs either. Cycles between the
// folders inside a lib: scripts/check-rooms.mjs, on this same graph. Any other lib under libs/
// (but the two packages) is a feature module added to the product (README, "Extending"): it
// may import the product's libs; the product's libs never import it, and apps reach it only
// through the registry, libs/features.
const LAYERS = ['platform', 'persistence', 'security-events', 'mail', 'keys', 'auth', 'revocation-feed', 'ssf', 'accounts'];
const PRODUCT_LIBS = `^libs/(${LAYERS.join('|')})/`;
const PACKAGES = '^libs/(verifier|client)/';

/** A lib may import the libs below it, never one above it (nor an app). */
const layering = LAYERS.map((lib, index) => ({
  name: `${lib}-imports-only-below`,
  comment: `libs/${lib} may import ${LAYERS.slice(0, index).join(', ') || 'no other lib'} (ARCHITECTURE.md, dependency direction)`,
  severity: 'error',
  from: { path: `^libs/${lib}/src/` },
  to: { path: [`^apps/`, ...LAYERS.slice(index + 1).map((above) => `^libs/${above}/src/`)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle between files (and so between their folders or libs).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layering,
    {
      name: 'product-imports-no-feature',
      comment: "The product's libs import no feature module (nor the registry of them); features build on the product.",
      severity: 'error',
      from: { path: PRODUCT_LIBS },
      to: { path: '^libs/', pathNot: [PRODUCT_LIBS, PACKAGES] },
    },
    {
      name: 'apps-reach-features-through-the-registry',
      comment: 'Apps take feature modules from libs/features (FEATURES), never from a feature lib directly.',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^libs/', pathNot: [PRODUCT_LIBS, PACKAGES, '^libs/features/'] },
    },
    {
      name: 'packages-stand-alone',
      comment: 'The packages others install (libs/verifier, libs/client) import nothing of the server.',
      severity: 'error',
      from: { path: '^libs/(verifier|client)/src/' },
      to: { path: ['^apps/', '^libs/'], pathNot: PACKAGES },
    },
    {
      name: 'server-uses-only-the-verification-core',
      comment:
        'The server judges tokens and proofs by @device-auth/verifier/core (libs/verifier/src/core), and takes nothing else of the package.',
      severity: 'error',
      from: { path: '^(apps|libs/(?!verifier/|client/))' },
      to: { path: '^libs/verifier/', pathNot: '^libs/verifier/src/core/' },
    },
    {
      name: 'verification-core-stands-alone',
      comment: 'The core is framework-free: it imports nothing of the rest of the package (nor of the server, above).',
      severity: 'error',
      from: { path: '^libs/verifier/src/core/' },
      to: { path: '^libs/verifier/src/', pathNot: '^libs/verifier/src/core/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', 'node_modules', '\\.(spec|e2e-spec|browser-spec)\\.ts$', '^test/', '/test/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
