import type { ReferenceDiff } from './diff.js';

type Headline = ReferenceDiff['headline'];

const REFERENCE_LABELS: Readonly<Record<string, string>> = {
  docker: "Docker's default",
  podman: "Podman's default",
  containerd: "containerd's default",
};

/** How a reference is named in sentences: "Docker's default", or "the profile strict.json". */
export function referenceLabel(against: string, fileName: string): string {
  return REFERENCE_LABELS[against] ?? `the profile ${fileName}`;
}

/** "240 fewer (77.7%)", or "12 more" when the profile is wider than the reference. */
export function fewerText(headline: Headline): string {
  return headline.fewer >= 0
    ? `${headline.fewer} fewer (${headline.percentFewer}%)`
    : `${-headline.fewer} more`;
}

/** "69 allowed vs 309 in Docker's default, 240 fewer (77.7%)": the one headline every output uses. */
export function headlineSentence(headline: Headline, label: string): string {
  return `${headline.workloadAllows} allowed vs ${headline.referenceAllows} in ${label}, ${fewerText(headline)}`;
}
