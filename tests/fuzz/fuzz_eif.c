/* libFuzzer target: the EIF reader (header, section table, sections, the
 * metadata and signature sections kept in memory) on arbitrary bytes. */
#include <stdint.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "eif/eif.h"
#include "util/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eif_measurement m;
	struct nk_err err;
	int fd = memfd_create("fuzz-eif", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (io_write_full(fd, data, size) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		/* Both the regular-file path (size known) and the stream path. */
		if (eif_measure(fd, (off_t)size, "fuzz", EIF_CRC_SOFT, &m, &err) == NK_OK)
			eif_measurement_free(&m);
		if (lseek(fd, 0, SEEK_SET) == 0 &&
		    eif_measure(fd, -1, "fuzz", EIF_NO_CRC_CHECK, &m, &err) == NK_OK)
			eif_measurement_free(&m);
	}
	close(fd);
	return 0;
}
