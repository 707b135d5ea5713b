/*
 * callbacks - destctl-milter's libmilter callbacks (the smfiDesc).
 */
#ifndef DESTCTL_CALLBACKS_H
#define DESTCTL_CALLBACKS_H

#include <libmilter/mfapi.h>

/* The filter description handed to smfi_register. */
extern struct smfiDesc milter_desc;

#endif
