/*
 * common.h: the first include of every Quarry source file.
 *
 * It pulls in the system headers nearly every file needs, then banned.h,
 * so that a banned function used anywhere after it fails to compile.
 */
#ifndef Q_COMMON_H
#define Q_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/banned.h"

#define Q_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
