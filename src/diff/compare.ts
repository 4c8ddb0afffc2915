import { basename } from 'node:path';
import { evaluateProfile } from '../profile/evaluate.js';
import type { GenerationNote } from '../profile/generate.js';
import type { LearningInput } from '../profile/inputs.js';
import type { SeccompProfile } from '../profile/model.js';
import {
  exitPathOn,
  type JudgingHost,
  needsOfProfile,
  needsOfRecording,
  type SyscallNeeds,
} from '../profile/needs.js';
import { type HeldBack, heldBackOf, type ReasonSource, reasonsOf } from '../profile/reasons.js';
import type { Recording } from '../recording/model.js';
import { loadReference, type ReferenceSource } from '../reference/builtin.js';
import { capabilitySet } from '../reference/capabilities.js';
import { type Abi, abisOfHost, hostAbi } from '../syscalls/abi.js';
import { hostKernel, type KernelVersion } from '../syscalls/kernel.js';
import { syscallExists } from '../syscalls/table.js';
import { diffAgainstReference, type ReferenceDiff, type Usage } from './diff.js';
import { type RiskNotes, riskNotesForDiff } from './risk.js';

const REFERENCE_LABELS: Readonly<Record<string, string>> = {
  docker: "Docker's default",
  podman: "Podman's default",
  containerd: "containerd's default",
};

/** How a reference is named in sentences: "Docker's default", or "the profile strict.json". */
export function referenceLabel(against: string, fileName: string): string {
  return REFERENCE_LABELS[against] ?? `the profile ${fileName}`;
}

export interface ComparisonOptions {
  /** docker, podman, containerd or a profile file. */
  against: string;
  /**
   * `--arch`, in diff and report alike: the native ABI of the host the profile is judged for. The
   * reference is evaluated as that host's runtime loads it (its archMap entry), and the ABIs that
   * host runs (x86_64: x86_64, x86, x32) are compared. Default: see comparisonHost.
   */
  host?: Abi;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  kernel?: KernelVersion;
}

export interface AbiComparison {
  diff: ReferenceDiff;
  risks: RiskNotes;
}

export interface ReferenceComparison {
  input: string;
  reference: ReferenceSource & { label: string };
  capabilities: string[];
  abis: AbiComparison[];
  /** Dangerous calls --widen would have added and did not, as no run made them. */
  heldBack: HeldBack[];
}

/**
 * The host a comparison is for when --arch does not say: the one every recording was made on, else
 * this machine. One rule for diff and report.
 */
export function comparisonHost(arch: Abi | undefined, recordings: readonly Recording[]): Abi {
  if (arch) return arch;
  const hosts = new Set(recordings.flatMap((recording) => recording.provenance.map((run) => run.host.arch)));
  const [only] = hosts;
  return hosts.size === 1 && only ? only : hostAbi();
}

/** The host the options describe: its native ABI, Docker-style capabilities, the kernel. */
export function judgingHost(
  options: Omit<ComparisonOptions, 'against'>,
  defaultCapabilities?: readonly string[],
): JudgingHost {
  return {
    hostAbi: options.host ?? hostAbi(),
    capabilities: capabilitySet(options.capAdd, options.capDrop, defaultCapabilities),
    kernel: options.kernel ?? hostKernel(),
  };
}

/**
 * What an input needs per ABI, with call and run counts when it is a recording; a recording also
 * needs the exit path (exitPathOn), counted or not, as the profile generated from it allows it, and
 * what the notes of its generation add (--widen) on each ABI that has the name.
 */
export function usageOf(
  input: LearningInput,
  host: JudgingHost,
  notes: readonly GenerationNote[] = [],
): Map<Abi, Map<string, Usage> | Set<string>> {
  if (input.kind === 'profile') return needsOfProfile(input.profile, host) as SyscallNeeds;
  const added = notes.flatMap((note) => (note.reason && note.kind !== 'held-back' ? [note.name] : []));
  const needs = new Map<Abi, Map<string, Usage>>();
  for (const abi of needsOfRecording(input.recording).keys()) {
    const table = input.recording.abis[abi] ?? {};
    const usage = new Map<string, Usage>(exitPathOn(abi).map((name) => [name, {}]));
    for (const name of added) if (syscallExists(abi, name)) usage.set(name, {});
    for (const [name, stats] of Object.entries(table))
      usage.set(name, { calls: stats.calls, runs: stats.runs });
    needs.set(abi, usage);
  }
  return needs;
}

/** Where the reasons of an input's calls come from when no generation is given: the input alone. */
function reasonSourceOf(input: LearningInput): ReasonSource {
  return input.kind === 'recording'
    ? { recording: input.recording, notes: [] }
    : { notes: [], file: input.path };
}

/**
 * Compares what an input needs (or a profile allows) with a reference profile evaluated the way
 * its runtime would load it for this host, these capabilities and this kernel.
 */
export async function compareWithReference(
  input: LearningInput,
  options: ComparisonOptions,
  why: ReasonSource = reasonSourceOf(input),
  /** The profile generated from a recording input, whose argument rules are compared too. */
  generated?: SeccompProfile,
): Promise<ReferenceComparison> {
  const ours = generated ?? (input.kind === 'profile' ? input.profile : undefined);
  const reference = await loadReference(options.against);
  const host = judgingHost(options, reference.defaultCapabilities);
  const abis: AbiComparison[] = [];
  // ABIs the host does not run: its runtime's reference says nothing useful about them.
  const hostAbis = abisOfHost(host.hostAbi);
  const reasonOf = reasonsOf(why);
  for (const [abi, syscalls] of usageOf(input, host, why.notes)) {
    if (!hostAbis.includes(abi)) continue;
    const evaluated = evaluateProfile(reference.profile, { ...host, abi, dialect: reference.dialect });
    const profile = ours ? evaluateProfile(ours, { ...host, abi }) : undefined;
    const diff = diffAgainstReference(
      { abi, syscalls, reasonOf: (name) => reasonOf(name, abi), ...(profile ? { profile } : {}) },
      evaluated,
    );
    abis.push({ diff, risks: riskNotesForDiff(diff) });
  }
  return {
    input: input.path,
    reference: { ...reference.source, label: referenceLabel(options.against, basename(options.against)) },
    capabilities: [...host.capabilities].sort(),
    abis,
    heldBack: heldBackOf(why.notes),
  };
}
