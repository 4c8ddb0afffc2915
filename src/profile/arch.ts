import type { Abi } from '../syscalls/abi.js';

/**
 * Which runtime's profile loader to imitate. They read the same JSON but differ in details:
 * - `moby`: Docker (moby/profiles seccomp_linux.go), also used for containerd's encoded profile.
 * - `containers`: Podman, CRI-O, Buildah (containers/common pkg/seccomp): other arch names, no
 *   `minKernel`, errno names (`errno`, `defaultErrno`) override the numbers.
 */
export type Dialect = 'moby' | 'containers';

/** How a runtime running on `host` names its architecture, for `includes/excludes.arches` and `archMap`. */
export interface RuntimeArch {
  /** The name matched against `arches` lists; '' when the runtime has none for this host. */
  readonly name: string;
  /** The `archMap[].architecture` the runtime picks, if any. */
  readonly archMapKey?: string;
}

/** runtime.GOARCH of a Go binary built for each host ABI; ABIs Go has no port for are absent. */
const GOARCH: Partial<Record<Abi, string>> = {
  x86_64: 'amd64',
  x86: '386',
  aarch64: 'arm64',
  arm: 'arm',
  loongarch64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
  mips64: 'mips64',
  mipsel64: 'mips64le',
  mips64n32: 'mips64p32',
  mipsel64n32: 'mips64p32le',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

// moby/profiles goToNative and nativeToSeccomp, kept verbatim: their mismatches ("loongarch64" vs
// "loong64", "mipsel" vs "mipsle") mean no archMap entry is picked on those hosts, and that is what
// Docker really does.
const MOBY_GO_TO_NATIVE: Readonly<Record<string, string>> = {
  '386': 'x86',
  amd64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips64: 'mips64',
  mips64p32: 'mips64n32',
  mips64le: 'mipsel64',
  mips64p32le: 'mips3l64n32',
  mipsle: 'mipsel',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

const MOBY_NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** libseccomp-golang's ScmpArch.String() of GetNativeArch(), which containers/common matches against. */
const LIBSECCOMP_GOLANG_NAMES: Readonly<Record<Abi, string>> = {
  x86_64: 'amd64',
  x86: 'x86',
  x32: 'x32',
  aarch64: 'arm64',
  arm: 'arm',
  loongarch64: 'loong64',
  m68k: 'm68k',
  mips: 'mips',
  mipsel: 'mipsel',
  mips64: 'mips64',
  mipsel64: 'mipsel64',
  mips64n32: 'mips64n32',
  mipsel64n32: 'mipsel64n32',
  parisc: 'parisc',
  parisc64: 'parisc64',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
  sh: 'sh',
  sheb: 'sheb',
};

const CONTAINERS_NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  s390x: 'SCMP_ARCH_S390X',
};

export function runtimeArch(dialect: Dialect, host: Abi): RuntimeArch {
  if (dialect === 'containers') {
    const name = LIBSECCOMP_GOLANG_NAMES[host];
    return { name, archMapKey: CONTAINERS_NATIVE_TO_SECCOMP[name] };
  }
  const goarch = GOARCH[host];
  const name = (goarch && MOBY_GO_TO_NATIVE[goarch]) ?? '';
  return { name, archMapKey: MOBY_NATIVE_TO_SECCOMP[name] };
}
