#include "errors.h"

#include <stdarg.h>
#include <stdio.h>

int in_fail(char *error, size_t error_size, int status, const char *format, ...)
{
    if (error != NULL && error_size > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return status;
}
