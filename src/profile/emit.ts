import { stringifyJson } from '../util/json-exact.js';
import type { SeccompProfile } from './model.js';

export const PROFILE_FORMATS = ['docker', 'oci', 'spo'] as const;
export type ProfileFormat = (typeof PROFILE_FORMATS)[number];

/** Kubernetes object names: lower-case RFC 1123 subdomain. */
function kubernetesName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return cleaned.slice(0, 253) || 'seccomp-learn-profile';
}

/** The profile as the text a user loads; `name` names the Kubernetes object for `spo`. */
export async function emitProfile(
  profile: SeccompProfile,
  format: ProfileFormat,
  name: string,
): Promise<string> {
  switch (format) {
    case 'docker':
      return `${stringifyJson(profile)}\n`;
    case 'oci':
      return `${stringifyJson({ linux: { seccomp: profile } })}\n`;
    case 'spo': {
      const { stringify } = await import('yaml');
      const document = {
        apiVersion: 'security-profiles-operator.x-k8s.io/v1',
        kind: 'SeccompProfile',
        metadata: { name: kubernetesName(name), annotations: { 'generated-by': 'seccomp-learn' } },
        spec: profile,
      };
      return stringify(document, { lineWidth: 0 });
    }
  }
}
