// kubectl-bitcoin: wiring only; every command lives in pkg/cli.
#include "pkg/cli/app.hpp"

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  int code = kb::cli::run(argc, argv, std::cout, std::cerr);
  // Every command has finished and joined its threads by now: flush and leave without running
  // static destructors, which only cost time in a process that is about to end.
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code);
}
