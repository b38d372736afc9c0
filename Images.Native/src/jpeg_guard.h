/* The one libjpeg error guard, shared by the JPEG decoder (jpeg_read.c) and the JPEG encoder
 * (encode.c): libjpeg's fatal errors longjmp back into the function that armed the guard, inside
 * this library, never across the managed boundary, with a status and a message. Calls only
 * libjpeg. */
#ifndef IMAGES_NATIVE_JPEG_GUARD_H
#define IMAGES_NATIVE_JPEG_GUARD_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

#include <jpeglib.h>

typedef struct in_jpeg_guard {
    struct jpeg_error_mgr base;   /* first: cinfo->err points at the guard */
    jmp_buf jump;                 /* set by the caller (setjmp) before any libjpeg call */
    char message[JMSG_LENGTH_MAX + 160]; /* what the longjmp reports */
    char text[JMSG_LENGTH_MAX];   /* libjpeg's own message for the error */
    int status;                   /* enum in_status the longjmp reports */
    int budget_limited;           /* libjpeg's max_memory_to_use is the budget: a virtual array over
                                     it ("no backing store") is reported as over budget */
    int64_t max_memory;           /* that budget, for the message */
} in_jpeg_guard;

/* Clears the guard and returns libjpeg's error manager for cinfo->err: fatal errors fill text,
 * message ("corrupt JPEG: ...") and status (IN_INVALID, IN_NO_MEMORY or IN_OVER_BUDGET), then
 * longjmp to jump. Warnings keep libjpeg's default handling unless the caller replaces
 * base.emit_message. */
struct jpeg_error_mgr *in_jpeg_guard_init(in_jpeg_guard *guard);

/* From inside a libjpeg callback: stop with this status (the message is the caller's to write). */
void in_jpeg_guard_fail(j_common_ptr cinfo, int status) __attribute__((noreturn));

#endif
