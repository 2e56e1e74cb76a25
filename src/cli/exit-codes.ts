// CLI exit codes (DESIGN §4): 0 pass or warn, 1 fail, 2 usage or input error, 3 error.
export const EXIT = { ok: 0, fail: 1, usage: 2, error: 3 } as const;
