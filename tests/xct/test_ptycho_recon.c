#include "ts_test.h"
int main(void) { return ts_test_summary(); }
