#!/usr/bin/env node
// Regenerates data/reference/rkt-seccomp-wildcards.json: the members of rkt's seccomp wildcards
// (@docker/default-whitelist, @rkt/default-blacklist, …) copied from rkt's Go source, which is the
// only definition they have. `generate --format appc` writes a wildcard only where the profile
// allows exactly its members; diff/merge/report expand wildcards in isolators.
//
//   git -C rkt show 171c416fac02516604e48d2e65153dd55a12513e:stage1/init/common/seccomp_wildcards.go > wildcards.go
//   node scripts/extract-rkt-wildcards.mjs wildcards.go [output path]
//
// rkt (archived, v1.30.0-38) appends RktDefaultSeccompArmWhitelist to @rkt/default-whitelist on arm
// and arm64 hosts only: kept as its own list.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [goFile, outArg] = process.argv.slice(2);
if (!goFile) {
  console.error('usage: node scripts/extract-rkt-wildcards.mjs seccomp_wildcards.go [output path]');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = outArg ?? join(root, 'data', 'reference', 'rkt-seccomp-wildcards.json');
const source = readFileSync(goFile, 'utf8');

/** The quoted names of `NAME = []string{ … }`, skipping commented-out lines. */
function list(name) {
  const match = new RegExp(`\\b${name} = \\[\\]string\\{([^}]*)\\}`).exec(source);
  if (!match) throw new Error(`${goFile}: no ${name} = []string{…}`);
  return match[1]
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .flatMap((line) => [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]));
}
function alias(name) {
  const match = new RegExp(`\\b${name} = (\\w+)\\s*$`, 'm').exec(source);
  if (!match) throw new Error(`${goFile}: no ${name} = OTHER`);
  return match[1];
}

const lists = {
  DockerDefaultSeccompWhitelist: list('DockerDefaultSeccompWhitelist'),
  DockerDefaultSeccompBlacklist: list('DockerDefaultSeccompBlacklist'),
};
const data = {
  source: {
    repository: 'rkt/rkt',
    path: 'stage1/init/common/seccomp_wildcards.go',
    commit: '171c416fac02516604e48d2e65153dd55a12513e',
    version: 'v1.30.0-38-g171c416f (archived 2020-02-24)',
    note: 'rkt/stage1/init/common/seccomp.go parseLinuxSeccompSet maps these wildcards; @systemd/* wildcards map to systemd groups',
  },
  wildcards: {
    '@docker/default-whitelist': lists.DockerDefaultSeccompWhitelist,
    '@docker/default-blacklist': lists.DockerDefaultSeccompBlacklist,
    '@rkt/default-whitelist': lists[alias('RktDefaultSeccompWhitelist')],
    '@rkt/default-blacklist': lists[alias('RktDefaultSeccompBlacklist')],
  },
  armAdditions: { '@rkt/default-whitelist': list('RktDefaultSeccompArmWhitelist') },
};
writeFileSync(`${outPath}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
renameSync(`${outPath}.tmp`, outPath);
console.log(`${outPath}: ${Object.keys(data.wildcards).length} wildcards`);
