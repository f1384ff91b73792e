/* The deflate level of the xlsx container. libxlsxwriter zips every part of a
 * workbook at workbook_close() with zlib's default level (6) and offers no option
 * for it; on a 30,000-VM inventory that deflate is about 30 % of the report's CPU
 * (docs/performance.md, "Reports"). libxlsxwriter calls minizip's
 * zipOpenNewFileInZip4_64() through the dynamic linker, so this definition in our
 * executables is the one it reaches (the executable comes first in the lookup
 * scope; the linker exports it because a linked library uses the name). It hands
 * every argument on to minizip's own function, found with dlsym(RTLD_NEXT), with
 * the level chosen here: 1 unless VC_REPORT_ZIP_LEVEL (0-9) says otherwise — about
 * a quarter larger files for about a third less CPU in a big workbook. The
 * prototype comes from minizip's own header, so a change of signature fails the
 * build instead of the call. */
#include "report.h"

#include <dlfcn.h>
#include <minizip/zip.h>
#include <stdlib.h>

typedef int (*zip_open_fn)(zipFile, const char *, const zip_fileinfo *, const void *, uInt,
                           const void *, uInt, const char *, int, int, int, int, int, int,
                           const char *, uLong, uLong, uLong, int);

static int zip_level = REPORT_ZIP_LEVEL;

void report_zip_setup(void)
{
	const char *env = getenv("VC_REPORT_ZIP_LEVEL");

	if (env && env[0] >= '0' && env[0] <= '9' && !env[1])
		zip_level = env[0] - '0';
}

int zipOpenNewFileInZip4_64(zipFile file, const char *filename, const zip_fileinfo *zipfi,
                            const void *extrafield_local, uInt size_extrafield_local,
                            const void *extrafield_global, uInt size_extrafield_global,
                            const char *comment, int method, int level, int raw,
                            int windowBits, int memLevel, int strategy, const char *password,
                            uLong crcForCrypting, uLong versionMadeBy, uLong flagBase, int zip64)
{
	zip_open_fn real = (zip_open_fn)dlsym(RTLD_NEXT, "zipOpenNewFileInZip4_64");

	if (!real)
		return ZIP_INTERNALERROR;
	if (method == Z_DEFLATED && !raw)
		level = zip_level;
	return real(file, filename, zipfi, extrafield_local, size_extrafield_local, extrafield_global,
	            size_extrafield_global, comment, method, level, raw, windowBits, memLevel, strategy,
	            password, crcForCrypting, versionMadeBy, flagBase, zip64);
}
