// SwiftPM links every executable with swiftc, which adds swiftrt.o. Its constructor registers
// the image's Swift metadata with the Swift runtime, so a statically linked build would pull
// the whole runtime and its start-up work (≈1 MB more resident pages, measured) into a program
// without a line of Swift. These two stand-ins satisfy swiftrt.o instead; nothing calls them
// with any effect, because there is no Swift metadata here to register.
#include <stdbool.h>

void swift_addNewDSOImage(const void *header);
bool _swift_backtrace_isThunkFunction(const char *name);

void swift_addNewDSOImage(const void *header) { (void)header; }
bool _swift_backtrace_isThunkFunction(const char *name) {
    (void)name;
    return false;
}
