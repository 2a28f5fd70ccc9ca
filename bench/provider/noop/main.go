// Command noop starts and exits: the floor a compiled credential provider
// is compared with in bench/provider/run.
package main

func main() {}
