/* libFuzzer target: CiphertextForRecipient (untrusted bytes from the network)
 * described and opened with a fixed key; the corpus is made for that key by
 * cms_encrypt_for_recipient, so the fuzzer starts inside real structures. */
#include <stddef.h>
#include <stdint.h>

#include <openssl/pem.h>

#include "kms/cms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A test key, only ever used here. */
static const char key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC4Gm2UWOSkVd3f\n"
	"Mibg9ro0nwtj9vE0MtHf3Qi+CQgvswHcTfwVIPd/eE7+FKkpWwdxKK4hJfEDF/9f\n"
	"XGPCBSrhhIUBxhbCWg1fgnU7CN2xQxtktR7WY/Nt+7IsM/49OaLbk2/k15SI+mR8\n"
	"1N5+c1C9/zN7SIy9Ylpiszsx3K2eDbXGiask8OLLyb+jYOu9Y/PTTmiXCc2ZeAYd\n"
	"YKJdS7U/blLmDvemJWrYCAbitM24s4BRbIsVuN5+/1lu2e7v0QAk/Koggr+DQSE9\n"
	"9PjV7R4jhJem2c7d/hk0N533mIYaOf1lrJoZXXXMrNCK58wLDcqsZgxEprBph8En\n"
	"csbSr2YNAgMBAAECggEAFTYQSX77ataszzYhRhqPJhhr8MrHDA9N4HfANdrnC03Z\n"
	"yUbf5BROB6z2Fu6M9eOTxi0ccNvE+qkFZniH0tcTE3QX+fYXcbF76HToqlJRboav\n"
	"jYkTojpWVeXhp5ee83FkSt2gDvLqnWSR9tL0xodlNlrElO/tLTW7ebMyPwKwqyyx\n"
	"oO9gZcVO9XUeqtWRz+eSoQuD2TL5kbA4BJi3iJ0kxaGW7Ly7lRldFG0qVFp3il0X\n"
	"ZMmTOys2VjO8pMOGkU4egWMNAvjPuxXHgD1pqgBh7zqgtVze88CPHwgT6xrCx+dB\n"
	"umRRlUJh0F/WZWyKinbw+/rUYEiQH2M+R7aFvCjgQQKBgQDjI9Ko7FXDLKE+hx9k\n"
	"fmx0frTVVvOGhpfrUAxUM2WJDdODO4Y7clkujjWtYZvwl692z8mYx7xJ2c0ui03J\n"
	"B/yHxuhEcgG3+1ptZfz28c3OwwB3nuHxlFaF9CIsvJsJyCoi4oTdm6tX2FPUii3q\n"
	"Z66VBS5/vsNPWjQnGlPMNNZyzQKBgQDPfsBJfZoXE896Fdk8Iflv7yEKup0AsTA/\n"
	"HpJ0jHOoVQWmJfBk3x252aRrCC+KZpLbbTXggVpd/r4AQTFb7cG+pEJFy1QOtqmu\n"
	"V5GwSYtWrfWCqppFO6KLdTRWxU25HyU7556SA+WqWbK+iwoMZAxo00o3yOjqyaiX\n"
	"24JjE61AQQKBgQCro19FnMk14hy6djrnoozr/u9BIyKErmJQQ739RpVcWqFRUoKd\n"
	"m0v+3SF8sfy3crf5rQymsY/7smTU3hlaZvmR1GGhjxDzaTGs51ufc5tUuZA51Eri\n"
	"VXiIYrIMYj05yBLnJ4rFNyPkDqlSO1R1BAItw6uehpVp+jzcq41VCzxdpQKBgB2j\n"
	"PDIDF8xuDvegQUw+ihN785tFtoFPzdVmN4MgQLDtnAX0a1btK6DNPpfvLmM1bYqc\n"
	"GdL8hvzgEyGULkm0NzVU3wZ7GYGUg74cUfn9N0LlTCki1zBGaVxEHHq8afKkSTw6\n"
	"REMU/WwMreRblc7ZR5B9hZ9cOjC3Jzaxqvkd6WRBAoGBAKgjkvtnMG4v2XFwR+j6\n"
	"gwID72219o1oBFYkBItlA+FAWWjCJtx3qRUrTUSOKgSbmlhZH5MbJ/TgMTW7nNv+\n"
	"h8p+tCn307b8Ns4bQmRoolgjSdq4MR6UKwEbide63FbO8YOF6Hz07RGa/rJpefWM\n"
	"Aih4DyhkqTC53c7GwhfP45kv\n"
	"-----END PRIVATE KEY-----\n"
	;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	struct cms_desc d;
	struct secbuf *pt = NULL;

	if (!key) {
		BIO *b = BIO_new_mem_buf(key_pem, -1);

		key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		if (!key)
			return 0;
	}
	if (!cms_describe(data, size, &d, NULL))
		cms_check_profile(&d, NULL);
	cms_decrypt(data, size, key, &pt, NULL);
	secmem_free(pt);
	return 0;
}
