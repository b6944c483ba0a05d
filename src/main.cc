#include "mlws/cli/cli.h"

int main(int argc, char** argv) { return mlws::cli::Main(argc, argv); }
