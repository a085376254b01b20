#pragma once
#include <seccomp.h>

// libseccomp's actions are function-like macros, which Swift cannot import.
static inline uint32_t skiff_scmp_act_errno(uint16_t err) { return SCMP_ACT_ERRNO(err); }
static inline uint32_t skiff_scmp_act_trace(uint16_t msg) { return SCMP_ACT_TRACE(msg); }
static const uint32_t SKIFF_SCMP_ACT_KILL_THREAD = SCMP_ACT_KILL_THREAD;
static const uint32_t SKIFF_SCMP_ACT_KILL_PROCESS = SCMP_ACT_KILL_PROCESS;
static const uint32_t SKIFF_SCMP_ACT_TRAP = SCMP_ACT_TRAP;
static const uint32_t SKIFF_SCMP_ACT_ALLOW = SCMP_ACT_ALLOW;
static const uint32_t SKIFF_SCMP_ACT_LOG = SCMP_ACT_LOG;
static const uint32_t SKIFF_SCMP_ACT_NOTIFY = SCMP_ACT_NOTIFY;
