// Validates a CircleCI config with CircleCI's own config parser
// (@circleci/circleci-config-parser), the way CircleCI reads it. With a
// second argument, a packed orb, the config's orbs are checked against that
// orb's manifest (its jobs, commands, executors and their parameters).
// Usage: node circleci-validate.js CONFIG [PACKED_ORB]
const fs = require('fs');
const yaml = require('yaml');
const parser = require('@circleci/circleci-config-parser');

try {
  const config = yaml.parse(fs.readFileSync(process.argv[2], 'utf8'));
  // The parser needs the jobs key, which a config of orb jobs only leaves out.
  config.jobs = config.jobs || {};
  let manifests;
  if (process.argv[3]) {
    // A manifest lists each job, command and executor with its parameters.
    const orb = yaml.parse(fs.readFileSync(process.argv[3], 'utf8'));
    const params = (m) => Object.fromEntries(Object.entries(m || {}).map(([k, v]) => [k, v.parameters || {}]));
    const manifest = parser.parseOrbManifest({ jobs: params(orb.jobs), commands: params(orb.commands), executors: params(orb.executors) });
    manifests = {};
    for (const alias of Object.keys(config.orbs || {})) {
      manifests[alias] = manifest;
    }
  }
  const parsed = parser.parseConfig(config, manifests);
  console.log(`valid: jobs ${parsed.jobs.map((j) => j.name).join(', ')}; workflows ${parsed.workflows.map((w) => w.name).join(', ')}`);
} catch (e) {
  console.error(`invalid: ${String(e.message || e).slice(0, 2000)}`);
  process.exit(1);
}
