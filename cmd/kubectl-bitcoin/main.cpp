// kubectl-bitcoin: wiring only; every command lives in pkg/cli.
#include "pkg/cli/app.hpp"

#include <iostream>

int main(int argc, char** argv) { return kb::cli::run(argc, argv, std::cout, std::cerr); }
