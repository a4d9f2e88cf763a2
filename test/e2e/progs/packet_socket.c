// Opens an AF_PACKET socket (what sniffers and ARP spoofers start with), then exits.
// Built static, so it runs in a busybox container.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (s < 0) {
    perror("socket");
    return 1;
  }
  close(s);
  return 0;
}
