/* keyring.c: the payload's own session keyring. The caller's one survives clone, setns and
 * execve, and possessing it grants rights to every key in it (keyrings(7)): a payload could
 * otherwise read the caller's Kerberos tickets or fscrypt keys with keyctl(1). */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <unistd.h>

void keyring_new_session(void)
{
	/* KEYCTL_JOIN_SESSION_KEYRING with a NULL name: a new anonymous keyring, replacing the
	 * old one in this process only (keyctl_join_session_keyring(3)). */
	if (syscall(SYS_keyctl, K_KEYCTL_JOIN_SESSION_KEYRING, 0L) >= 0)
		return;
	/* A kernel without CONFIG_KEYS has no keyring to leak either. */
	if (errno == ENOSYS)
		return;
	/* Keys are counted per user (kuid): every sandbox whose root maps to the same host uid
	 * shares that uid's quota, 200 keys by default. Measured on 6.18: with all 200 in use a
	 * sandbox still got its keyring (a session keyring may overrun the quota), so this is
	 * for kernels that are stricter. */
	if (errno == EDQUOT)
		die(EXIT_SETUP, "keyring", errno,
		    "new session keyring: this uid's key quota is used up (/proc/sys/kernel/keys/maxkeys and "
		    "maxbytes; usage in /proc/key-users)");
	die(EXIT_SETUP, "keyring", errno, "new session keyring");
}
