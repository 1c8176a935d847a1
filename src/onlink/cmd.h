/* onlink subcommands, one file each, behind the dispatch table in onlink.c. */
#ifndef OL_CMD_H
#define OL_CMD_H
int cmd_status(int argc, char **argv);
int cmd_genkey(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_route(int argc, char **argv);
/* drain, undrain, announce, withdraw (operate.c) */
int cmd_operate(int argc, char **argv);
/* egress move HOST (egress.c) */
int cmd_egress(int argc, char **argv);
/* steer --list (steer.c) */
int cmd_steer(int argc, char **argv);
#endif
