#!/usr/bin/env python3
"""Runs a command under a seccomp filter, as a container runtime would load it.

Used by `seccomp-learn verify --enforce` for a host command (a container gets its profile from its
engine). seccomp-learn resolves the profile as runc hands it to libseccomp (includes/excludes,
redundant rules, errno values) and writes the result as JSON:

    {"defaultAction": {"action": "SCMP_ACT_ERRNO", "errnoRet": 1},
     "architectures": ["x86_64", "x86"],
     "rules": [{"name": "read", "action": "SCMP_ACT_ALLOW", "args": []},
               {"name": "personality", "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 8}]}]}

Usage: seccomp-exec.py FILTER.json --probe
       seccomp-exec.py FILTER.json -- COMMAND [ARG...]

The filter is loaded with libseccomp (libseccomp.so.2) through ctypes, then COMMAND replaces this
process (execv), so the command's exit status is its own. Problems of the loader itself (libseccomp
missing, a rule libseccomp refuses, a command that cannot be executed) are written to file
descriptor 3 when it is open, so that seccomp-learn can tell them from the command's own failure;
exit status 125 (127 when the command is not found). Once the filter is loaded, fd 3 is closed on
execve; an execve the filter refuses is the command's failure under the profile (exit 126).
"""

import ctypes
import errno
import json
import os
import shutil
import sys

# seccomp.h: actions as the kernel returns them; ERRNO and TRACE carry a 16-bit value.
ACTIONS = {
    "SCMP_ACT_KILL_PROCESS": lambda _: 0x80000000,
    "SCMP_ACT_KILL_THREAD": lambda _: 0x00000000,
    "SCMP_ACT_KILL": lambda _: 0x00000000,
    "SCMP_ACT_TRAP": lambda _: 0x00030000,
    "SCMP_ACT_ERRNO": lambda value: 0x00050000 | (value & 0xFFFF),
    "SCMP_ACT_TRACE": lambda value: 0x7FF00000 | (value & 0xFFFF),
    "SCMP_ACT_LOG": lambda _: 0x7FFC0000,
    "SCMP_ACT_ALLOW": lambda _: 0x7FFF0000,
}

# enum scmp_compare
OPERATORS = {
    "SCMP_CMP_NE": 1,
    "SCMP_CMP_LT": 2,
    "SCMP_CMP_LE": 3,
    "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5,
    "SCMP_CMP_GT": 6,
    "SCMP_CMP_MASKED_EQ": 7,
}

# seccomp.h: what seccomp_syscall_resolve_name returns for a name it does not know.
NR_SCMP_ERROR = -1


class ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class LoaderError(Exception):
    def __init__(self, message, status=125):
        super().__init__(message)
        self.status = status


def report(message):
    """The loader's own problem: on fd 3 for seccomp-learn when it is open, else on stderr."""
    text = f"seccomp-exec: {message}\n".encode()
    try:
        os.write(3, text)
    except OSError:
        os.write(2, text)


def open_libseccomp():
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as error:
        raise LoaderError(
            f"libseccomp (libseccomp.so.2) is not installed ({error}); on Debian/Ubuntu: apt-get install libseccomp2"
        ) from error
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    return lib


def action_value(entry, where):
    make = ACTIONS.get(entry.get("action"))
    if make is None:
        raise LoaderError(f"{where}: action {entry.get('action')!r} cannot be loaded here")
    return make(entry.get("errnoRet", errno.EPERM))


def build_filter(lib, spec):
    """A libseccomp context holding the filter; nothing is loaded yet."""
    default = action_value(spec["defaultAction"], "defaultAction")
    ctx = lib.seccomp_init(default)
    if not ctx:
        raise LoaderError("seccomp_init failed")
    for name in spec.get("architectures", []):
        token = lib.seccomp_arch_resolve_name(name.encode())
        if token == 0:
            raise LoaderError(f"libseccomp does not know the architecture {name}")
        result = lib.seccomp_arch_add(ctx, token)
        # seccomp_init already holds the native architecture.
        if result != 0 and result != -errno.EEXIST:
            raise LoaderError(f"seccomp_arch_add({name}): {os.strerror(-result)}")
    for index, rule in enumerate(spec.get("rules", [])):
        number = lib.seccomp_syscall_resolve_name(rule["name"].encode())
        # runc skips a name its libseccomp does not know; so does this loader.
        if number == NR_SCMP_ERROR:
            continue
        args = rule.get("args", [])
        comparisons = (ArgCmp * max(len(args), 1))()
        for at, arg in enumerate(args):
            op = OPERATORS.get(arg["op"])
            if op is None:
                raise LoaderError(f"rules[{index}]: unknown operator {arg['op']!r}")
            # As runc hands them over: MASKED_EQ compares (arg & value) with valueTwo.
            comparisons[at] = ArgCmp(arg["index"], op, arg["value"], arg.get("valueTwo", 0))
        action = action_value(rule, f"rules[{index}] ({rule['name']})")
        result = lib.seccomp_rule_add_array(ctx, action, number, len(args), comparisons)
        if result != 0:
            raise LoaderError(f"rules[{index}] ({rule['name']}): libseccomp refused it: {os.strerror(-result)}")
    return ctx


def main(argv):
    if len(argv) < 3 or argv[2] not in ("--probe", "--"):
        raise LoaderError("usage: seccomp-exec.py FILTER.json --probe | -- COMMAND [ARG...]")
    with open(argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    lib = open_libseccomp()
    ctx = build_filter(lib, spec)
    if argv[2] == "--probe":
        lib.seccomp_release(ctx)
        return 0
    command = argv[3:]
    if not command:
        raise LoaderError("no command after --")
    # Found before the filter is loaded: after it, only execve itself should be needed.
    path = command[0] if "/" in command[0] else shutil.which(command[0])
    if path is None:
        raise LoaderError(f"{command[0]}: command not found", 127)
    # The status pipe closes on execve: seccomp-learn reads end-of-file when the command started.
    try:
        os.set_inheritable(3, False)
    except OSError:
        pass
    result = lib.seccomp_load(ctx)
    if result != 0:
        raise LoaderError(f"seccomp_load: {os.strerror(-result)}")
    try:
        os.execv(path, command)
    except OSError as error:
        # Under the filter now: a refused execve is the profile breaking the command (as runc's
        # "exec: operation not permitted"), a result for seccomp-learn to compare, not a loader problem.
        os.write(2, f"seccomp-exec: {command[0]}: {error.strerror}\n".encode())
        os._exit(127 if error.errno == errno.ENOENT else 126)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except LoaderError as problem:
        report(str(problem))
        sys.exit(problem.status)
    except (OSError, ValueError, KeyError, TypeError) as problem:
        report(f"{type(problem).__name__}: {problem}")
        sys.exit(125)
