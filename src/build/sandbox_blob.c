/*
 * sandbox_blob.c: the bytes of quarry-sandbox-init (sandbox_init.c, linked
 * statically by CMake, which passes its path as Q_SANDBOX_INIT_PATH), kept
 * in quarry itself so that there is one binary to install. sandbox.c
 * copies them into each sandbox that switches to the build user.
 */
#include <stddef.h>

#include "build/sandbox.h"

#ifndef Q_SANDBOX_INIT_PATH
#error "Q_SANDBOX_INIT_PATH must name the static quarry-sandbox-init"
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	".globl q_sandbox_init_bytes\n"
	"q_sandbox_init_bytes:\n"
	".incbin \"" Q_SANDBOX_INIT_PATH "\"\n"
	".globl q_sandbox_init_end\n"
	"q_sandbox_init_end:\n"
	".byte 0\n"
	".previous\n");

extern const unsigned char q_sandbox_init_bytes[];
extern const unsigned char q_sandbox_init_end[];

size_t q_sandbox_init_size(void)
{
	return (size_t)(q_sandbox_init_end - q_sandbox_init_bytes);
}

const unsigned char *q_sandbox_init_data(void)
{
	return q_sandbox_init_bytes;
}
