// Publish-time manifest edits (pnpm >= 10.28 `beforePacking`); installs are not affected.
// @ostk/recall bundles LanceDB's JavaScript and depends on its per-platform native packages
// directly (see packages/recall/README.md, Packaging). The full platform list lives in its
// `publishOptionalDependencies` and is merged into the published `optionalDependencies` here,
// because a registry mirror without some platforms' packages cannot lock them in the workspace.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.publishOptionalDependencies) {
        pkg.optionalDependencies = { ...pkg.optionalDependencies, ...pkg.publishOptionalDependencies };
        delete pkg.publishOptionalDependencies;
      }
      return pkg;
    },
  },
};
