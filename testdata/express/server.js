// An Express app whose CORS is the `cors` package, configured as its README
// shows for corslab's common policy (checks/implementations_test.go):
//   origins [https://app.example.com, http://localhost:3000], methods GET POST DELETE,
//   request headers Api-Key and Content-Type, credentials, X-Total-Count exposed, max-age 600.
// It listens on 127.0.0.1 only, on $PORT (default 8080; 0 picks a free port), and prints
// "listening on http://127.0.0.1:PORT" once ready.
const express = require('express');
const cors = require('cors');

const app = express();
app.use(cors({
  origin: ['https://app.example.com', 'http://localhost:3000'],
  methods: ['GET', 'POST', 'DELETE'],
  allowedHeaders: ['Api-Key', 'Content-Type'],
  exposedHeaders: ['X-Total-Count'],
  credentials: true,
  maxAge: 600,
}));

const items = (req, res) => {
  res.set('X-Total-Count', '3');
  res.json([1, 2, 3]);
};
app.get('/api/items', items);
app.post('/api/items', items);
app.delete('/api/items', items);

const server = app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
