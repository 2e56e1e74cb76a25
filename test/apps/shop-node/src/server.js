// A deliberately flawed order service: each flaw is a known rule the CI scan must report.
const express = require('express');
const { exec } = require('child_process');
const crypto = require('crypto');

const app = express();
app.use(express.json());

// Flaw: command injection (user input in a shell command line).
app.get('/ping', (req, res) => {
  exec('ping -c 1 ' + req.query.host, (err, out) => res.send(out));
});

// Flaw: code injection (eval of a request value).
app.post('/discount', (req, res) => {
  const rate = eval(req.body.formula);
  res.json({ rate });
});

// Flaw: weak hash for passwords.
function hashPassword(password) {
  return crypto.createHash('md5').update(password).digest('hex');
}

// Flaw: reflected input in HTML.
app.get('/hello', (req, res) => {
  res.send('<h1>Hello ' + req.query.name + '</h1>');
});

module.exports = { app, hashPassword };
