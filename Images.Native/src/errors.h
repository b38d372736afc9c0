/* Errors: every failure is a status code (enum in_status) with a message in the caller's buffer,
 * never an abort. Bottom layer: calls nothing of this library. */
#ifndef IMAGES_NATIVE_ERRORS_H
#define IMAGES_NATIVE_ERRORS_H

#include <stddef.h>

/* Writes the message into the caller's buffer (when there is one) and returns the status. */
int in_fail(char *error, size_t error_size, int status, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

#endif
