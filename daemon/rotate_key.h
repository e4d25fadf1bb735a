/* tesserad rotate-key: a new key for a stopped node, and the statement that
 * its community continues under it (docs/protocol.md, "Key rotation"). */
#ifndef ROTATE_KEY_H
#define ROTATE_KEY_H

/* The subcommand (argv[0] is "rotate-key"): the exit status. */
int rotate_key_main(int argc, char **argv);

#endif
