package console

// CheapParams is cheap for the browser tests (package console_test): their
// officers log in through the page, and the officer package tests the cost
// of the real parameters.
var CheapParams = cheap
