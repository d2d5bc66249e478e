/*
 * vfido internals shared by the emulator's files. Not for tests: tests
 * drive the emulator through libfido2 and vfido.h only.
 */
#ifndef BG_VFIDO_INT_H
#define BG_VFIDO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* knob bits; the names are in state.c */
#define VF_KNOB_NO_TOUCH	0x01u
#define VF_KNOB_REMOVED		0x02u
#define VF_KNOB_REMOVE_DURING_OP 0x04u
#define VF_KNOB_BAD_SIGNATURE	0x08u
#define VF_KNOB_WRONG_SECRET	0x10u
#define VF_KNOB_PIN_PROTO1_ONLY	0x20u
#define VF_KNOB_ATTEST_U2F	0x40u
#define VF_KNOB_U2F_ONLY	0x80u
#define VF_KNOB_GETINFO_ERROR	0x100u
#define VF_KNOB_NO_HMAC_SECRET	0x200u
#define VF_KNOB_IGNORE_HMAC_SECRET 0x400u
#define VF_KNOB_MAKECRED_NO_UP	0x800u

/* CTAPHID (CTAP 2.1 11.2.9) */
#define VF_REPORT_LEN		64
#define VF_INIT_DATA		(VF_REPORT_LEN - 7)
#define VF_CONT_DATA		(VF_REPORT_LEN - 5)
#define VF_MAX_MSG		(VF_INIT_DATA + 128 * VF_CONT_DATA)
#define VF_CID_BROADCAST	0xffffffffu
#define VF_CMD_PING		0x01
#define VF_CMD_MSG		0x03
#define VF_CMD_LOCK		0x04
#define VF_CMD_INIT		0x06
#define VF_CMD_WINK		0x08
#define VF_CMD_CBOR		0x10
#define VF_CMD_CANCEL		0x11
#define VF_CMD_KEEPALIVE	0x3b
#define VF_CMD_ERROR		0x3f
#define VF_CAP_CBOR		0x04
#define VF_CAP_NMSG		0x08
#define VF_KA_PROCESSING	0x01
#define VF_KA_UPNEEDED		0x02

/* CTAPHID errors (11.2.9.1.6) */
#define VF_HERR_INVALID_CMD	0x01
#define VF_HERR_INVALID_PAR	0x02
#define VF_HERR_INVALID_LEN	0x03
#define VF_HERR_INVALID_SEQ	0x04
#define VF_HERR_CHANNEL_BUSY	0x06
#define VF_HERR_INVALID_CHANNEL	0x0b

/* CTAP2 status codes (8.2) */
#define VF_OK				0x00
#define VF_ERR_INVALID_COMMAND		0x01
#define VF_ERR_INVALID_PARAMETER	0x02
#define VF_ERR_INVALID_LENGTH		0x03
#define VF_ERR_CBOR_UNEXPECTED_TYPE	0x11
#define VF_ERR_INVALID_CBOR		0x12
#define VF_ERR_MISSING_PARAMETER	0x14
#define VF_ERR_CREDENTIAL_EXCLUDED	0x19
#define VF_ERR_UNSUPPORTED_ALGORITHM	0x26
#define VF_ERR_UNSUPPORTED_OPTION	0x2b
#define VF_ERR_INVALID_OPTION		0x2c
#define VF_ERR_KEEPALIVE_CANCEL		0x2d
#define VF_ERR_NO_CREDENTIALS		0x2e
#define VF_ERR_USER_ACTION_TIMEOUT	0x2f
#define VF_ERR_NOT_ALLOWED		0x30
#define VF_ERR_PIN_INVALID		0x31
#define VF_ERR_PIN_BLOCKED		0x32
#define VF_ERR_PIN_AUTH_INVALID		0x33
#define VF_ERR_PIN_AUTH_BLOCKED		0x34
#define VF_ERR_PIN_NOT_SET		0x35
#define VF_ERR_PIN_REQUIRED		0x36
#define VF_ERR_PIN_POLICY_VIOLATION	0x37
#define VF_ERR_INVALID_SUBCOMMAND	0x3e
#define VF_ERR_OTHER			0x7f

/* Persistent device state (state.json). */
struct vf_state {
	unsigned char	 aaguid[16];
	unsigned char	 master[32];	/* AES-256-GCM key for credential ids */
	int		 has_pin;
	unsigned char	 pin_hash[16];	/* LEFT(SHA-256(pin), 16) */
	int		 pin_retries;
	uint32_t	 counter;
	uint32_t	 touches;
	unsigned	 knobs;
	char		*att_key_pem;	/* attestation key, PKCS#8 PEM */
	char		*att_cert_pem;	/* attestation cert, PEM */
};

/* An open device: what a real token keeps in RAM until power-off. */
struct vf_dev {
	char		*dir;		/* BASE/fido2/NAME */
	int		 dead;		/* unplugged: all io fails */
	int		 u2f_only;	/* INIT said so: no CBOR */
	int		 vanishing;	/* unplugged once the queue drains */
	uint32_t	 cid_first;	/* channels [cid_first, cid_next) */
	uint32_t	 cid_next;
	/* message being reassembled */
	int		 rx_active;
	uint32_t	 rx_cid;
	uint8_t		 rx_cmd;
	uint8_t		 rx_seq;
	size_t		 rx_len;
	size_t		 rx_got;
	unsigned char	*rx_buf;	/* VF_MAX_MSG bytes */
	/* reports waiting to be read */
	unsigned char	(*q)[VF_REPORT_LEN];
	int		*q_delay_ms;	/* sleep before handing out report i */
	size_t		 q_head;
	size_t		 q_len;
	size_t		 q_cap;
	uint32_t	 q_cid;		/* channel of a pending UP wait */
	int		 q_waiting;	/* the queue holds a cancellable wait */
	/* authenticator power-on state (CTAP 2.1 6.5.5.1) */
	EVP_PKEY	*ka_key;	/* key agreement key */
	unsigned char	 puat[32];	/* pinUvAuthToken */
	int		 puat_valid;
	int		 pin_fails;	/* consecutive mismatches since power-up */
	/* filled by the CTAP2 layer for the CTAPHID layer */
	int		 keepalives;	/* KEEPALIVE(UPNEEDED) frames to send */
	int		 keepalive_ms;	/* delay before each of them */
};

/* error message of this thread */
void vf_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* state.c */
int vf_dev_dir(const char *base, const char *name, char **dir);
int vf_lock(const char *dir);
void vf_unlock(int fd);
int vf_state_load(const char *dir, struct vf_state *st);
int vf_state_save(const char *dir, const struct vf_state *st);
void vf_state_clear(struct vf_state *st);
int vf_state_peek_knobs(const char *dir, unsigned *knobs);
int vf_knob_bit(const char *name, unsigned *bit);
int vf_ca_load(const char *base, EVP_PKEY **key, X509 **cert);
int vf_make_att_cert(const char *base, const unsigned char aaguid[16],
    const char *name, char **key_pem, char **cert_pem);

/* crypto.c */
int vf_random(void *buf, size_t len);
int vf_sha256(const void *data, size_t len, unsigned char out[32]);
int vf_hmac_sha256(const unsigned char *key, size_t key_len,
    const unsigned char *d1, size_t d1_len, const unsigned char *d2,
    size_t d2_len, unsigned char out[32]);
EVP_PKEY *vf_ec_generate(void);
int vf_ec_pub_xy(EVP_PKEY *pkey, unsigned char x[32], unsigned char y[32]);
int vf_ec_priv(EVP_PKEY *pkey, unsigned char d[32]);
EVP_PKEY *vf_ec_from_xy(const unsigned char x[32], const unsigned char y[32]);
EVP_PKEY *vf_ec_from_priv(const unsigned char d[32],
    const unsigned char x[32], const unsigned char y[32]);
int vf_es256_sign(EVP_PKEY *key, const unsigned char *m1, size_t m1_len,
    const unsigned char *m2, size_t m2_len, unsigned char *sig,
    size_t *sig_len);
int vf_ecdh(EVP_PKEY *ours, EVP_PKEY *peer, unsigned char z[32]);
int vf_hkdf_sha256(const unsigned char *ikm, size_t ikm_len,
    const char *info, unsigned char out[32]);
int vf_aes256_cbc(int enc, const unsigned char key[32],
    const unsigned char iv[16], const unsigned char *in, size_t len,
    unsigned char *out);
int vf_gcm_seal(const unsigned char key[32], const unsigned char *aad,
    size_t aad_len, const unsigned char *pt, size_t pt_len,
    unsigned char *out);
int vf_gcm_open(const unsigned char key[32], const unsigned char *aad,
    size_t aad_len, const unsigned char *in, size_t in_len,
    unsigned char *pt);
char *vf_pkey_to_pem(EVP_PKEY *pkey);
EVP_PKEY *vf_pkey_from_pem(const char *pem);

/* credential ids (cred.c) */
#define VF_CRED_VERSION		0x01
#define VF_CRED_FLAG_HMAC	0x01u
#define VF_CRED_PROT_SHIFT	1
#define VF_CRED_PT_LEN		(1 + 32 + 32 + 64 + 32 + 32)
#define VF_GCM_OVERHEAD		(12 + 16)
#define VF_CRED_ID_LEN		(1 + VF_GCM_OVERHEAD + VF_CRED_PT_LEN)

struct vf_cred {
	unsigned	 flags;		/* VF_CRED_FLAG_HMAC | credProtect << 1 */
	unsigned char	 rp_id_hash[32];
	unsigned char	 d[32];		/* private scalar */
	unsigned char	 x[32], y[32];	/* public point */
	unsigned char	 cr_uv[32];	/* credRandom with UV */
	unsigned char	 cr_nouv[32];	/* credRandom without UV */
};

int vf_cred_seal(const unsigned char master[32], const struct vf_cred *c,
    unsigned char id[VF_CRED_ID_LEN]);
int vf_cred_open(const unsigned char master[32], const unsigned char *id,
    size_t id_len, struct vf_cred *c);
void vf_cred_clear(struct vf_cred *c);

/* ctap2.c: one CBOR request in, one response (status byte first) out */
int vf_ctap2(struct vf_dev *dev, const unsigned char *req, size_t req_len,
    unsigned char **resp, size_t *resp_len);

/* ctaphid.c */
void vf_dev_free(struct vf_dev *dev);

#endif /* BG_VFIDO_INT_H */
